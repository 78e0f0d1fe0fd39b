// Types of nodeRuntime.mjs, which stays plain JavaScript: it runs before the toolchain is installed.
export interface NodeRuntime {
  execPath: string;
  binDir: string;
  fetched: boolean;
}
export declare const NODE_VERSION: string;
export declare const NODE_MAJOR: number;
export declare function fetchedNodeRuntime(): NodeRuntime | undefined;
export declare function ensureNodeRuntime(): NodeRuntime;
export declare function runtimeEnv(runtime: NodeRuntime, env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
