/**
 * The notebook widgets' data access: requests to the widget's Python object
 * over its comm (`{rpc, method, args}` -> `{rpc, result | error}`), and the
 * subset of anywidget's model API the hosts use.
 */
import { ApiError } from '../types';

/** What anywidget hands `render` (only what we use). */
export interface AnyModel {
  get(name: string): any;
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(event: string, fn: (...args: any[]) => void): void;
  off(event: string, fn?: (...args: any[]) => void): void;
  send(content: unknown, callbacks?: unknown, buffers?: unknown[]): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

let instances = 0;

export class Kernel {
  private readonly prefix = `v${++instances}-${Math.random().toString(36).slice(2, 8)}`;
  private seq = 0;
  private readonly pending = new Map<string, Pending>();

  constructor(readonly model: AnyModel) {
    model.on('msg:custom', this.onMessage);
  }

  /** Call `method` on the Python widget; rejects with an ApiError carrying the MlmError code. */
  call<T>(method: string, args: Record<string, unknown> = {}): Promise<T> {
    const rpc = `${this.prefix}-${++this.seq}`;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(rpc, { resolve: resolve as (v: unknown) => void, reject });
      this.model.send({ rpc, method, args });
    });
  }

  /** Set traits and send them to Python in one message (only the ones that changed). */
  sync(values: Record<string, unknown>): void {
    const changed = Object.entries(values).filter(([k, v]) => JSON.stringify(this.model.get(k)) !== JSON.stringify(v));
    if (changed.length) {
      changed.forEach(([k, v]) => this.model.set(k, v));
      this.model.save_changes();
    }
  }

  dispose(): void {
    this.model.off('msg:custom', this.onMessage);
    this.pending.forEach(p => p.reject(new ApiError(0, 'CLOSED', 'the widget was closed')));
    this.pending.clear();
  }

  private readonly onMessage = (msg: any) => {
    const waiting = msg && typeof msg.rpc === 'string' ? this.pending.get(msg.rpc) : undefined;
    if (!waiting) {
      return;
    }
    this.pending.delete(msg.rpc);
    if (msg.error) {
      const e = msg.error;
      waiting.reject(new ApiError(e.status ?? 400, e.code ?? 'ERROR', e.message ?? 'failed', e.column || undefined));
    } else {
      waiting.resolve(msg.result);
    }
  };
}
