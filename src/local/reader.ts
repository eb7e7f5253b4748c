/**
 * What one pod run reads back from podman: every container's state (one `podman container
 * inspect` for all), its log lines (podman's k8s-file log, followed), its termination message and
 * state files (through the volumes), for the runner and for `whileRunning` snapshots.
 */
import * as path from 'path';
import { LogFollower } from './logs';
import { containerName, PlayPlan, resolveMount } from './play';
import { podman } from './podman';
import { parseTime } from './result';
import { ContainerResult, LogLine } from './types';
import { VolumeReader } from './volumes';
import { RECORD } from '../wire/layout';
import { parseReport } from '../wire/report';
import { K8sObject } from '../wire/workload';

/** What one pod run reads back from podman: container states, logs, files in the volumes. */
export class PodReader {
  readonly volumes = new VolumeReader();
  readonly all: K8sObject[];
  private readonly followers = new Map<string, LogFollower>();
  private readonly logs = new Map<string, LogLine[]>();

  constructor(readonly plan: PlayPlan) {
    this.all = [...plan.initContainers, ...plan.containers];
  }

  ctrName(c: K8sObject): string {
    return containerName(this.plan.podName, c.name);
  }

  async readInPod(pathInPod: string): Promise<string | undefined> {
    for (const c of this.all) {
      const r = resolveMount(c, pathInPod);
      if (r) return this.volumes.read(r.volume, r.rel);
    }
    return undefined;
  }

  /** Reads the log lines every container wrote since the last call (to the end when `final`). */
  private readLogs(inspected: Map<string, K8sObject>, final: boolean): void {
    for (const c of this.all) {
      const logPath = inspected.get(this.ctrName(c))?.HostConfig?.LogConfig?.Path;
      if (!logPath) continue;
      if (!this.followers.has(c.name)) this.followers.set(c.name, new LogFollower(logPath));
      const exited = inspected.get(this.ctrName(c))?.State?.Status === 'exited';
      const lines = this.followers.get(c.name)!.read(final || exited);
      if (lines.length) this.logs.set(c.name, [...(this.logs.get(c.name) ?? []), ...lines]);
    }
  }

  /** `podman container inspect` of every container at once, by name; absent ones are missing. */
  async inspect(): Promise<Map<string, K8sObject>> {
    const r = await podman(['container', 'inspect', ...this.all.map((c) => this.ctrName(c))], { allowFailure: true });
    const byName = new Map<string, K8sObject>();
    try {
      for (const o of JSON.parse(r.stdout || '[]') as K8sObject[]) byName.set(String(o.Name), o);
    } catch {
      // no container left at all
    }
    return byName;
  }

  async snapshot(final = false): Promise<ContainerResult[]> {
    const inspected = await this.inspect();
    this.readLogs(inspected, final);
    const out: ContainerResult[] = [];
    for (const c of this.all) out.push(await this.collect(c, inspected.get(this.ctrName(c))));
    return out;
  }

  private async collect(c: K8sObject, inspect: K8sObject | undefined): Promise<ContainerResult> {
    const state: K8sObject = inspect?.State ?? {};
    let terminationMessage: string | undefined;
    let stateFiles: Record<string, string> = {};
    if (c.terminationMessagePath) {
      const r = resolveMount(c, c.terminationMessagePath);
      if (r) {
        terminationMessage = await this.volumes.read(r.volume, r.rel);
        stateFiles = await this.volumes.readDir(r.volume, path.posix.dirname(r.rel) === '.' ? '' : path.posix.dirname(r.rel));
      }
    }
    const record = stateFiles[RECORD.done] ?? stateFiles[RECORD.doneErr];
    const report = parseReport(record) ?? parseReport(terminationMessage);
    const lines = this.logs.get(c.name) ?? [];
    const join = (ls: LogLine[]) => ls.map((l) => `${l.text}\n`).join('');
    return {
      name: c.name,
      init: this.plan.initContainers.includes(c),
      sidecar: this.plan.sidecars.some((s) => s.name === c.name) && this.plan.initContainers.includes(c),
      state: inspect ? String(state.Status ?? 'unknown') : 'missing',
      exitCode: inspect && state.Status === 'exited' ? Number(state.ExitCode) : undefined,
      oomKilled: !!state.OOMKilled,
      startedAtMs: parseTime(state.StartedAt),
      finishedAtMs: parseTime(state.FinishedAt),
      id: inspect?.Id,
      image: inspect?.ImageName ?? c.image,
      imageId: inspect?.Image,
      stdout: join(lines.filter((l) => l.stream === 'stdout')),
      stderr: join(lines.filter((l) => l.stream === 'stderr')),
      logs: join(lines),
      logLines: lines,
      terminationMessage,
      report,
      stateFiles,
    };
  }
}

