/** Who sent a command, as its API key says. Key material never leaves the authenticator. */
export type Principal =
  | { name: string; role: 'admin' }
  | { name: string; role: 'customer'; customerId: string };
