/** Writes a policy's status subresource (JSON merge patch, the operator's field manager). */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../../lib/policy/schema.ts';
import type { EventTarget } from './events.ts';
import { FIELD_MANAGER, MERGE_PATCH, apiErrorCode } from './kube.ts';
import type { OwnedStatus } from './status.ts';

/** What happened to a status write: written, or the policy no longer exists. */
export type StatusWriteResult = 'ok' | 'gone';

/** PATCHes `/status` of ApiProtectionPolicies. */
export class StatusWriter {
  readonly #custom: CustomObjectsApi;

  constructor(custom: CustomObjectsApi) {
    this.#custom = custom;
  }

  /** Writes `status`; 'gone' when the policy was deleted meanwhile; other API errors are thrown (the queue retries). */
  async write(target: EventTarget, status: OwnedStatus): Promise<StatusWriteResult> {
    try {
      await this.#custom.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, plural: PLURAL, namespace: target.namespace, name: target.name, body: { status }, fieldManager: FIELD_MANAGER },
        MERGE_PATCH,
      );
      return 'ok';
    } catch (err) {
      if (apiErrorCode(err) === 404) return 'gone';
      throw err;
    }
  }
}
