// pino JSON logs with a component name on every line. API keys never reach a log:
// the authorization header is redacted wherever a request is logged.
import pino from 'pino';

export function createLogger(component: string, level: string): pino.Logger {
  return pino({
    name: component,
    level,
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.headers.authorization'], censor: '[redacted]' },
  });
}
