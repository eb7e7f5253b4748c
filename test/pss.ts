/**
 * The Pod Security Standard "restricted" profile (every baseline control plus the restricted ones),
 * as https://kubernetes.io/docs/concepts/security/pod-security-standards/ documents it for
 * Kubernetes 1.34, checked by reading a manifest. Returns one line per violation.
 */

const SAFE_SYSCTLS = new Set(['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes']);
const SELINUX_TYPES = new Set([undefined, '', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

/** The violations of the restricted profile in a Pod or Job manifest (empty when it complies). */
export function restrictedViolations(manifest: any): string[] {
  const spec = manifest.kind === 'Job' ? manifest.spec.template.spec : manifest.spec;
  const annotations = (manifest.kind === 'Job' ? manifest.spec.template.metadata : manifest.metadata)?.annotations ?? {};
  const v: string[] = [];
  const pod = spec.securityContext ?? {};
  for (const ns of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[ns] === true) v.push(`${ns} is true`);
  for (const vol of spec.volumes ?? []) {
    const type = Object.keys(vol).find(k => k !== 'name');
    if (!VOLUME_TYPES.has(type!)) v.push(`volume ${vol.name} has type ${type}`);
  }
  for (const s of pod.sysctls ?? []) if (!SAFE_SYSCTLS.has(s.name)) v.push(`sysctl ${s.name}`);
  for (const [k, value] of Object.entries(annotations)) {
    if (k.startsWith('container.apparmor.security.beta.kubernetes.io/') && !(value === 'runtime/default' || String(value).startsWith('localhost/'))) {
      v.push(`AppArmor annotation ${k}=${value}`);
    }
  }
  const podLevel = (sc: any, who: string) => {
    if (sc.windowsOptions?.hostProcess === true) v.push(`${who}: windowsOptions.hostProcess`);
    if (sc.appArmorProfile?.type === 'Unconfined') v.push(`${who}: appArmorProfile Unconfined`);
    if (!SELINUX_TYPES.has(sc.seLinuxOptions?.type) || sc.seLinuxOptions?.user || sc.seLinuxOptions?.role) v.push(`${who}: seLinuxOptions`);
    if (sc.seccompProfile?.type === 'Unconfined') v.push(`${who}: seccompProfile Unconfined`);
    if (sc.runAsUser === 0) v.push(`${who}: runAsUser 0`);
  };
  podLevel(pod, 'pod');
  const all = [...spec.initContainers ?? [], ...spec.containers, ...spec.ephemeralContainers ?? []];
  for (const c of all) {
    const sc = c.securityContext ?? {};
    const who = `container ${c.name}`;
    podLevel(sc, who);
    if (sc.privileged === true) v.push(`${who}: privileged`);
    if (sc.procMount !== undefined && sc.procMount !== 'Default') v.push(`${who}: procMount ${sc.procMount}`);
    for (const p of c.ports ?? []) if (p.hostPort) v.push(`${who}: hostPort ${p.hostPort}`);
    const add: string[] = sc.capabilities?.add ?? [];
    // restricted allows adding only NET_BIND_SERVICE (baseline's list is a superset of it)
    for (const cap of add) if (cap !== 'NET_BIND_SERVICE') v.push(`${who}: adds capability ${cap}`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) v.push(`${who}: does not drop ALL capabilities`);
    if (sc.allowPrivilegeEscalation !== false) v.push(`${who}: allowPrivilegeEscalation is not false`);
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) v.push(`${who}: runAsNonRoot is not true`);
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') v.push(`${who}: seccompProfile is ${seccomp ?? 'unset'}`);
  }
  return v;
}
