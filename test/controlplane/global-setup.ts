/**
 * Vitest globalSetup of the `k8s` project: starts ONE etcd + kube-apiserver for all test/k8s files, hands its
 * {@link ControlPlaneInfo} to the tests (`inject('palisadeControlPlane')`; the admin kubeconfig path is also in
 * env KUBECONFIG_PALISADE_TEST) and stops it after the run.
 */
import type { TestProject } from 'vitest/node';
import { startControlPlane, type ControlPlane, type ControlPlaneInfo } from './control-plane.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The control plane started by test/controlplane/global-setup.ts (k8s project only). */
    palisadeControlPlane: ControlPlaneInfo;
  }
}

let controlPlane: ControlPlane | undefined;

/** Starts the control plane (building kube-apiserver and etcd first if they are not cached). */
export async function setup(project: TestProject): Promise<void> {
  controlPlane = await startControlPlane();
  const { stop: _stop, createUserKubeconfig: _create, ...info } = controlPlane;
  project.provide('palisadeControlPlane', info);
  process.env.KUBECONFIG_PALISADE_TEST = info.kubeconfigPath;
}

/** Stops the control plane and removes its temporary directory. */
export async function teardown(): Promise<void> {
  await controlPlane?.stop();
  controlPlane = undefined;
  delete process.env.KUBECONFIG_PALISADE_TEST;
}
