/** The sidebar's runs list: the shared runs model plus the check that the server part is there. */
import { versionsCompatible } from '../views/diff';
import { messageOf, RunsModel } from '../views/models';
import { ApiError } from '../types';
import type { MlmApi } from '../types';

export type ServerState = 'checking' | 'ok' | 'missing' | 'mismatch' | 'error';

export class SidebarModel extends RunsModel {
  serverState: ServerState = 'checking';
  serverMessage = '';
  serverVersion = '';

  constructor(
    readonly api: MlmApi,
    readonly clientVersion: string,
    options: { pageSize?: number } = {}
  ) {
    super(api, options.pageSize ?? 50);
  }

  get ready(): boolean {
    return this.serverState === 'ok';
  }

  /** Ask `/mlm/api/version`; a 404 or a different release leaves a message for the panel. */
  async checkServer(): Promise<ServerState> {
    try {
      const { version } = await this.api.version();
      this.serverVersion = version;
      const ok = versionsCompatible(version, this.clientVersion);
      this.serverState = ok ? 'ok' : 'mismatch';
      this.serverMessage = ok
        ? ''
        : `The mlm-jupyter server extension is version ${version} but this sidebar is ${this.clientVersion}: ` +
          'reinstall one package (pip install -U mlm-jupyter) and restart JupyterLab.';
    } catch (error) {
      const missing = error instanceof ApiError && error.status === 404;
      this.serverState = missing ? 'missing' : 'error';
      this.serverMessage = missing
        ? `The mlm-jupyter sidebar cannot reach its server part: ${messageOf(error)}`
        : `The mlm-jupyter server extension did not answer: ${messageOf(error)}`;
    }
    this.changed.emit();
    return this.serverState;
  }
}
