/**
 * comlink ships no declaration for its ESM node adapter (dist/esm/node-adapter.mjs). Typed loosely
 * so both worker_threads.Worker and MessagePort (parentPort) fit their overloaded on/off.
 */
declare module "comlink/dist/esm/node-adapter.mjs" {
  import type { Endpoint } from "comlink";
  export interface NodeEndpoint {
    postMessage(message: any, transfer?: any[]): void;
    on(type: "message", listener: (value: any) => void): unknown;
    off(type: "message", listener: (value: any) => void): unknown;
    start?: () => void;
  }
  export default function nodeEndpoint(nep: NodeEndpoint): Endpoint;
}
