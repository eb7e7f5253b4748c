/**
 * Merges the parts written by bench/run.sh (bench/out/parts/*.json) into bench/results.json,
 * adds the machine it ran on, and prints the table. Goals are compared, never enforced: the exit
 * code is non-zero only when a figure could not be measured.
 *
 *   npx ts-node -P bench/tsconfig.json bench/report.ts PARTS_DIR RESULTS_JSON
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InfoPart, isMeasured, MakespanPart, ProcPart, ReleaseImagePart, SynthPart } from './parts';

const TEKTON_ENTRYPOINT_BYTES = 44_351_488; // issue 5: Tekton's entrypoint v0.56 built the same way (static, stripped); not rebuilt here
const MiB = 1024 * 1024;

interface Row {
  figure: string;
  subject: string;
  role: 'ours' | 'baseline' | 'reference' | 'floor' | 'diagnostic';
  measured: string;
  goal: string;
  /** true / false against the goal; null when the row has no goal */
  met: boolean | null;
  /** the part's own record behind the row, written to results.json as it is */
  values?: object;
}

/** The parts, by file name, as their writers declare them (parts.ts). */
interface Parts {
  'info': InfoPart;
  'proc': ProcPart;
  'synth': SynthPart;
  'makespan': MakespanPart;
  'release-image': ReleaseImagePart;
}

/** A part as its writer declared it (not checked: run.sh wrote it in the same run); undefined when absent or not JSON. */
function readPart<K extends keyof Parts>(dir: string, name: K): Parts[K] | undefined {
  const f = path.join(dir, `${name}.json`);
  if (!fs.existsSync(f)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(f, 'utf8')) as Parts[K];
  } catch {
    return undefined;
  }
}

function sh(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 }).trim();
  } catch {
    return undefined;
  }
}

/** A role as procbench writes it (`ours`, `baseline`, `floor`), as a row's role. */
function role(r: string): Row['role'] {
  return r === 'ours' || r === 'baseline' || r === 'floor' || r === 'reference' || r === 'diagnostic' ? r : 'diagnostic';
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) + ' ms';
const bytes = (b: number) => `${b.toLocaleString('en-US')} B (${(b / MiB).toFixed(2)} MiB)`;

function machine(parts: string, info: InfoPart | undefined) {
  const osRelease = fs.existsSync('/etc/os-release')
    ? /PRETTY_NAME="?([^"\n]*)"?/.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1]
    : undefined;
  // the commit and the state of the tree when run.sh started (a merge during the run must not relabel it)
  const gitDirty = info?.gitDirty ?? sh('git', ['status', '--porcelain', '--', 'src', 'entrypoint-image', 'bench']);
  return {
    date: new Date().toISOString(),
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: +(os.totalmem() / 1024 ** 3).toFixed(1),
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    os: osRelease,
    node: process.version,
    go: sh('go', ['version']),
    podman: readPart(parts, 'makespan')?.podman?.version,
    cc: info?.cc,
    loadavgAtStart: info?.loadavgStart,
    loadavgAtEnd: os.loadavg().map((x) => +x.toFixed(2)),
    gitCommit: info?.gitCommit ?? sh('git', ['rev-parse', '--short', 'HEAD']),
    uncommittedChangesInSrcOrEntrypointOrBench: !!gitDirty,
  };
}

function handoffRows(p: ProcPart | undefined, rows: Row[], missing: string[]) {
  const fig = '1 hand-off latency';
  if (!p?.handoff) {
    missing.push(fig);
    return;
  }
  // the child is a Go program: its runtime start-up is in every hand-off; the goal is on what lies above it
  const floor = p.handoff.find((r) => r.role === 'floor' && r.stats.n > 0)?.stats.median_ms;
  for (const r of p.handoff) {
    const s = r.stats;
    const isMain = r.role === 'ours' && r.figure.startsWith('hand-off:');
    const share = floor === undefined ? undefined : s.median_ms - floor;
    const measured = s.n > 0 ? `median ${ms(s.median_ms)}, p99 ${ms(s.p99_ms)} (n=${s.n}${s.failed ? `, ${s.failed} failed` : ''})`
      + (isMain && share !== undefined ? `; above the spawn floor: median ${ms(share)}` : '') : `not measured: ${s.failed} failed ${(r.errors ?? []).join('; ').slice(0, 200)}`;
    if (isMain && s.n === 0) missing.push(fig);
    rows.push({
      figure: fig,
      subject: r.role === 'floor' ? 'floor: child spawned directly, no wrapper'
        : r.figure.startsWith('diagnostic') ? `diagnostic: ${r.waiter}: start, no deps -> child starts`
          : `${r.waiter}: rename -> child starts`,
      role: r.figure.startsWith('diagnostic') ? 'diagnostic' : role(r.role),
      measured,
      goal: isMain ? 'median above the spawn floor <= 1 ms, p99 <= 5 ms' : '',
      met: isMain && s.n > 0 && share !== undefined ? share <= 1 && s.p99_ms <= 5 : null,
      values: r,
    });
  }
  for (const r of p.chain ?? []) {
    const s = r.stats;
    rows.push({
      figure: fig,
      subject: `${r.waiter}: command a ends -> command b starts (end to end)`,
      role: role(r.role),
      measured: s.n > 0 ? `median ${ms(s.median_ms)}, p99 ${ms(s.p99_ms)} (n=${s.n}${s.failed ? `, ${s.failed} failed` : ''})` : `not measured (${(r.errors ?? []).join('; ').slice(0, 200)})`,
      goal: '',
      met: null,
      values: r,
    });
  }
}

function idleRows(p: ProcPart | undefined, rows: Row[], missing: string[]) {
  const fig = '2 one waiting step';
  if (!p?.idle) {
    missing.push(fig);
    return;
  }
  const floor = p.idle.find((r) => r.role === 'floor' && !r.error);
  for (const r of p.idle) {
    const ours = r.role === 'ours';
    if (r.error) {
      if (ours) missing.push(fig);
      rows.push({ figure: fig, subject: r.waiter, role: role(r.role), measured: `not measured: ${r.error}`, goal: '', met: null, values: r });
      continue;
    }
    rows.push({
      figure: fig,
      subject: r.waiter,
      role: role(r.role),
      measured: `${r.threads} threads, RSS ${(r.rss_kib / 1024).toFixed(2)} MiB (peak ${(r.hwm_kib / 1024).toFixed(2)}); over ${r.window_s.toFixed(1)} s: CPU ${r.cpu_ms.toFixed(3)} ms, `
        + `${r.voluntary_ctxt_switches} voluntary ctx switches (${r.wakeups_per_s.toFixed(1)}/s)${r.waited ? `; waited: ${r.waited}` : ''}`,
      goal: ours ? `threads <= the Go floor's${floor ? ` (${floor.threads})` : ''}, RSS <= 2.5 MiB, ~0 CPU, no periodic wake-ups` : '',
      met: ours ? r.cpu_ms < 1 && r.voluntary_ctxt_switches <= 1 && r.rss_kib <= 2560 && (!floor || r.threads <= floor.threads) : null,
      values: r,
    });
  }
}

function podRows(p: ProcPart | undefined, rows: Row[], missing: string[]) {
  const fig = '8 a pod of N waiting steps';
  if (!p?.pod?.rows?.length) {
    missing.push(fig);
    return;
  }
  for (const r of p.pod.rows) {
    const ok = (r.outcomes?.Succeeded ?? 0) === r.steps;
    const perWaiter = Object.entries(r.threads_per_waiter ?? {}).map(([t, k]) => `${k}x${t}`).join(' ');
    if (r.errors?.length) missing.push(`${fig} (${r.steps}, ${r.mode})`);
    rows.push({
      figure: fig,
      subject: `${r.steps} steps (chain), waiting by ${r.mode}: uid ${r.uid}, ${r.inotify_instances_taken_first} of its ${r.inotify_max_user_instances} inotify instances taken first`,
      role: 'ours',
      measured: `peak threads ${r.peak_threads} waiting (per waiter: ${perWaiter || 'n/a'}; max ${r.max_threads_one_waiter}), ${r.peak_threads_run} while the chain runs; `
        + `RSS sum ${(r.waiting_rss_kib_sum / 1024).toFixed(0)} MiB, Pss sum ${(r.waiting_pss_kib_sum / 1024).toFixed(0)} MiB; start-up ${r.startup_s.toFixed(1)} s; `
        + `chain ${r.run_s.toFixed(2)} s (${r.run_per_edge_ms.toFixed(1)} ms/edge); outcomes ${JSON.stringify(r.outcomes)}; waited ${JSON.stringify(r.waited)}`
        + (r.errors?.length ? `; ERRORS: ${r.errors.join('; ').slice(0, 200)}` : ''),
      goal: 'every step Succeeded',
      met: ok && !r.errors?.length,
      values: r,
    });
  }
}

function deadRows(p: ProcPart | undefined, rows: Row[], missing: string[]) {
  const fig = '3 dead dependency';
  if (!p?.dead) {
    missing.push(fig);
    return;
  }
  for (const r of p.dead) {
    const ours = r.role === 'ours';
    const s = r.stats;
    let measured: string;
    if (s.n > 0) {
      measured = `dependent exits: median ${ms(s.median_ms)}, max ${ms(s.max_ms)} (n=${s.n}; reasons ${JSON.stringify(r.reasons)}; exit ${JSON.stringify(r.exit_codes)})`;
      if (r.done_err_stats?.n) measured += `; its done.err appears: median ${ms(r.done_err_stats.median_ms)}`;
      if (r.killed_wrapper_reaped_stats?.n) measured += `; killed wrapper reaped: median ${ms(r.killed_wrapper_reaped_stats.median_ms)}`;
      if (r.lock_fd_inherited_by_child) measured += `; lock fd inherited by the child in ${r.lock_fd_inherited_by_child} runs`;
    } else if (r.not_detected > 0) {
      measured = `not detected: still waiting ${r.observe_s} s after the kill (${r.not_detected}/${r.not_detected + s.failed} runs); waits until the task's deadline`;
    } else {
      measured = `not measured: ${(r.errors ?? []).join('; ').slice(0, 200)}`;
      if (ours) missing.push(fig);
    }
    rows.push({
      figure: fig,
      subject: `${r.waiter}: ${r.variant}`,
      role: role(r.role),
      measured,
      goal: ours ? '<= 100 ms' : '',
      met: ours && s.n > 0 ? s.max_ms <= 100 && r.not_detected === 0 : ours ? false : null,
      values: r,
    });
  }
}

function sizeRows(info: InfoPart | undefined, mk: MakespanPart | undefined, release: ReleaseImagePart | undefined, rows: Row[], missing: string[]) {
  const fig = '4 size';
  const bins = info?.binaries ?? [];
  if (bins.length === 0) missing.push(fig);
  for (const b of bins) {
    if (!fs.existsSync(b.file)) {
      missing.push(`${fig} (${b.arch})`);
      continue;
    }
    const n = fs.statSync(b.file).size;
    rows.push({
      figure: fig,
      subject: `entrypoint binary linux/${b.arch} (static, stripped${info?.entrypointBuilt === false ? ', from entrypoint-image/out/' : ''})`,
      role: 'ours',
      measured: `${bytes(n)}, ${(TEKTON_ENTRYPOINT_BYTES / n).toFixed(1)}x smaller than Tekton's`,
      goal: '<= 2 MiB (issue 3)',
      met: n <= 2 * MiB,
      values: { bytes: n, file: path.relative(process.cwd(), b.file) },
    });
  }
  if (mk?.entrypointImageBytes) {
    const n = mk.entrypointImageBytes;
    rows.push({
      figure: fig,
      subject: `entrypoint image ${mk.images?.entrypoint} (podman image size)`,
      role: 'ours',
      measured: `${bytes(n)}, ${(TEKTON_ENTRYPOINT_BYTES / n).toFixed(1)}x smaller than Tekton's binary`,
      goal: '20x smaller than Tekton (issue 3)',
      met: TEKTON_ENTRYPOINT_BYTES / n >= 20,
      values: { bytes: n },
    });
  } else {
    missing.push(`${fig} (image: ${mk?.error ?? 'podman part did not run'})`);
    rows.push({ figure: fig, subject: 'entrypoint image', role: 'ours', measured: `not measured: ${mk?.error ?? 'podman part did not run'}`, goal: '', met: null });
  }
  // The release image (entrypoint-image/release.sh, the multi-arch index), per architecture.
  const platforms = release?.platforms ?? [];
  if (platforms.length === 0) missing.push(`${fig} (release image per architecture: the release-image part did not run)`);
  for (const p of platforms) {
    rows.push({
      figure: fig,
      subject: `release image ${p.platform} (entrypoint-image/release.sh, index ${String(release?.digest).slice(0, 19)}…)`,
      role: 'ours',
      measured: `download ${bytes(p.download)} (compressed layers + config), unpacked ${bytes(p.unpacked)}; binary ${bytes(p.binary)}`,
      goal: '',
      met: null,
      values: { platform: p.platform, digest: p.digest, download: p.download, unpacked: p.unpacked, binary: p.binary },
    });
  }
  rows.push({
    figure: fig,
    subject: 'Tekton entrypoint v0.56 binary (reference constant from issue 5)',
    role: 'reference',
    measured: `${bytes(TEKTON_ENTRYPOINT_BYTES)}: not rebuilt here (no network); taken as given`,
    goal: '',
    met: null,
    values: { bytes: TEKTON_ENTRYPOINT_BYTES },
  });
}

function synthRows(p: SynthPart | undefined, rows: Row[], missing: string[]) {
  const fig = '5 synth time';
  if (!p?.synth) {
    missing.push(fig);
    return;
  }
  for (const r of p.synth.rows) {
    const goals: string[] = ['<= 2x plain kplus'];
    let met = r.ratio <= 2;
    if (r.steps === 1000) {
      goals.push('< 1 s');
      met = met && r.stepPod.median_ms < 1000;
    }
    rows.push({
      figure: fig,
      subject: `${r.steps} steps, ${r.edges} edges: StepPod vs plain kplus Pod`,
      role: 'ours',
      measured: `${ms(r.stepPod.median_ms)} vs ${ms(r.plainPod.median_ms)} = ${r.ratio.toFixed(2)}x (medians of ${r.stepPod.reps}, alternating; `
        + `minimums ${ms(r.stepPod.min_ms)} vs ${ms(r.plainPod.min_ms)} = ${(r.ratio_of_minimums ?? r.stepPod.min_ms / r.plainPod.min_ms).toFixed(2)}x`
        + (r.cpu_ratio !== undefined ? `; CPU time ${r.cpu_ratio.toFixed(2)}x` : '') + `); peakRequests() ${ms(r.peakRequests_ms)}; `
        + `YAML ${(r.stepPod.yaml_bytes / 1024).toFixed(0)} KiB vs ${(r.plainPod.yaml_bytes / 1024).toFixed(0)} KiB (${(r.stepPod.yaml_bytes / r.plainPod.yaml_bytes).toFixed(1)}x)`
        + (r.stepPod_json_bytes ? `, StepPod JSON ${(r.stepPod_json_bytes / MiB).toFixed(2)} MiB` : '')
        + (r.kubernetes_limits && r.kubernetes_limits !== 'within' ? `; REFUSED at synthesis (timed with checkLimits: false): ${r.kubernetes_limits.replace(/^.*?StepLimitError: /s, '').slice(0, 200)}` : '')
        + (r.withoutYaml ? `; without the YAML step (construct + toJson): ${ms(r.withoutYaml.stepPod.median_ms)} vs ${ms(r.withoutYaml.plainPod.median_ms)} = ${r.withoutYaml.ratio.toFixed(2)}x` : '')
        + (r.cdk8sFloor && r.floor_ratio !== undefined ? `; floor, the same Pod written by cdk8s alone (ApiObject, same YAML): ${ms(r.cdk8sFloor.median_ms)} = ${r.floor_ratio.toFixed(2)}x plain kplus`
          + (r.cdk8sFloor.cpu_median_ms !== undefined && r.plainPod.cpu_median_ms ? ` (CPU time ${(r.cdk8sFloor.cpu_median_ms / r.plainPod.cpu_median_ms).toFixed(2)}x)` : '') : ''),
      goal: goals.join(', '),
      met,
      values: r,
    });
  }
  for (const g of p.synth.growth) {
    rows.push({
      figure: fig,
      subject: `growth ${g.from} -> ${g.to} steps`,
      role: 'ours',
      measured: `time x${g.stepPod_time_ratio.toFixed(1)} for steps+edges x${g.size_ratio.toFixed(1)}: exponent ${g.stepPod_exponent.toFixed(2)} (plain kplus: x${g.plainPod_time_ratio.toFixed(1)}, exponent ${g.plainPod_exponent.toFixed(2)})`,
      goal: 'about linear (exponent ~1)',
      met: g.stepPod_exponent <= 1.25,
      values: g,
    });
  }
}

function resourceRows(p: SynthPart | undefined, rows: Row[], missing: string[]) {
  const fig = '6 requests PEAK vs SUM';
  if (!p?.resources) {
    missing.push(fig);
    return;
  }
  const expect: Record<string, number> = { 'chain of 10 (default 1 cpu / 512Mi steps)': 1, 'diamond a -> {b, c} -> d': 2 };
  for (const r of p.resources.rows) {
    if ('error' in r) {
      rows.push({ figure: fig, subject: r.graph, role: 'ours', measured: `not measured: ${r.error.slice(0, 200)}`, goal: '', met: null });
      missing.push(`${fig} (${r.graph})`);
      continue;
    }
    const e = expect[r.graph];
    rows.push({
      figure: fig,
      subject: r.graph,
      role: 'ours',
      measured: r.measured + (r.sumByDeclaredRequestsAgrees === false ? ' (WARNING: the SUM cross-check disagrees)' : ''),
      goal: e !== undefined ? `PEAK cpu = ${e} (issue 2)` : '',
      met: e !== undefined ? Math.abs(r.peak.cpu - e) < 1e-9 : null,
      values: r,
    });
  }
}

function makespanRows(p: MakespanPart | undefined, rows: Row[], missing: string[]) {
  const fig = '7 makespan in podman';
  if (!p || p.error || !p.variants) {
    missing.push(`${fig}${p?.error ? ` (${p.error})` : ''}`);
    rows.push({ figure: fig, subject: 'all variants', role: 'ours', measured: `not measured: ${p?.error ?? 'the podman part did not run'}`, goal: '', met: null });
    return;
  }
  for (const v of p.variants) {
    const ours = v.key !== 'initChain';
    if (!isMeasured(v)) {
      if (v.key === 'dag' || v.key === 'big') missing.push(`${fig} (${v.key})`);
      rows.push({ figure: fig, subject: v.label, role: ours ? 'ours' : 'baseline', measured: `not measured: ${(v.errors ?? []).join('; ').slice(0, 300)}`, goal: '', met: null });
      continue;
    }
    const isDag = v.key === 'dag';
    const h = v.binding_handoff_ms;
    const measured = v.key === 'big'
      ? `makespan ${ms(v.makespan_ms)} from the gate over the longest path of ${v.edges_on_critical_path} edges: +${ms(v.overhead_per_edge_ms)}/edge; `
        + `hand-offs median ${ms(h.median)}, p90 ${ms(h.p90)}, max ${ms(h.max)} (n=${h.n}); wall ${ms(v.wall_ms)} (kube play creating ${v.steps + 1} containers included)`
      : `makespan ${ms(v.makespan_ms)} for a critical path of ${ms(v.nominal_critical_path_ms)} (${v.edges_on_critical_path} edges): +${ms(v.overhead_per_edge_ms)}/edge `
        + `(+${ms(v.overhead_vs_measured_path_per_edge_ms)}/edge vs measured step times); hand-offs median ${ms(h.median)}, max ${ms(h.max)}; wall ${ms(v.wall_ms)} (median of ${v.reps})`;
    rows.push({
      figure: fig,
      subject: v.label,
      role: ours ? 'ours' : 'baseline',
      measured,
      goal: isDag || v.key === 'big' ? '<= critical path + 50 ms per edge on it' : '',
      met: isDag || v.key === 'big' ? v.overhead_per_edge_ms <= 50 : null,
      values: v,
    });
  }
}

function printTable(rows: Row[]) {
  const mark = (m: boolean | null) => (m === null ? '' : m ? 'met' : 'MISSED');
  const cols = ['figure', 'subject', 'measured', 'goal', 'vs goal'];
  const data = rows.map((r) => [r.figure, `${r.subject}${r.role === 'baseline' ? ' [baseline]' : ''}`, r.measured, r.goal, mark(r.met)]);
  const width = [0, 0, 0, 0, 0];
  const cap = [22, 52, 0, 28, 7];
  for (const d of [cols, ...data]) d.forEach((c, i) => { width[i] = Math.max(width[i], Math.min(c.length, cap[i] || c.length)); });
  width[2] = Math.min(width[2], 84);
  const wrap = (s: string, w: number) => {
    const out: string[] = [];
    let line = '';
    for (const word of s.split(' ')) {
      if (line && (line + ' ' + word).length > w) {
        out.push(line);
        line = word;
      } else {line = line ? `${line} ${word}` : word;}
    }
    out.push(line);
    return out;
  };
  const sep = width.map((w) => '-'.repeat(w)).join('-+-');
  const print = (cells: string[]) => {
    const wrapped = cells.map((c, i) => wrap(c, width[i]));
    const h = Math.max(...wrapped.map((w) => w.length));
    for (let k = 0; k < h; k++) console.log(wrapped.map((w, i) => (w[k] ?? '').padEnd(width[i])).join(' | ').trimEnd());
  };
  print(cols);
  console.log(sep);
  let prev = '';
  for (const d of data) {
    if (prev && d[0] !== prev) console.log(sep);
    print([d[0] === prev ? '' : d[0], ...d.slice(1)]);
    prev = d[0];
  }
}

function main() {
  const [parts, out] = process.argv.slice(2);
  if (!parts || !out) throw new Error('usage: report.ts PARTS_DIR RESULTS_JSON');
  const info = readPart(parts, 'info');
  const proc = readPart(parts, 'proc');
  const syn = readPart(parts, 'synth');
  const mk = readPart(parts, 'makespan');
  const rows: Row[] = [];
  const missing: string[] = [];
  handoffRows(proc, rows, missing);
  idleRows(proc, rows, missing);
  deadRows(proc, rows, missing);
  podRows(proc, rows, missing);
  sizeRows(info, mk, readPart(parts, 'release-image'), rows, missing);
  synthRows(syn, rows, missing);
  resourceRows(syn, rows, missing);
  makespanRows(mk, rows, missing);
  const m = machine(parts, info);
  const doc = {
    about: 'cdk8s-steps benchmarks (issue 5). Regenerate with `npx projen bench` (bash bench/run.sh); see bench/README.md.',
    machine: m,
    baselines: {
      gofloor: 'bench/cmd/gofloor: the smallest Go program that waits like our wrapper (inotify, one blocking read) and handles the same signals (signal.Notify)',
      pollwait: 'bench/cmd/pollwait: a small reimplementation (written here, not Tekton/Argo code) of the poll-stat-sleep waiter, at 1 s (Tekton) and 100 ms',
      tektonEntrypointBytes: `${TEKTON_ENTRYPOINT_BYTES}: reference constant from issue 5 (Tekton entrypoint v0.56, static, stripped); not rebuilt here (no network)`,
      initContainers: 'a plain cdk8s-plus Pod whose steps are initContainers (run by podman one after another)',
      plainKplusPod: 'a plain cdk8s-plus Pod with the same containers (synth time)',
    },
    hand_off_child: info?.child,
    notMeasured: missing,
    rows,
    // every measured number is in rows[].values; the rest of the parts:
    parts: { info, synthDag: syn?.synth?.dag, resourcesMethod: syn?.resources?.how, makespanWorkload: mk?.workload, makespanImages: mk?.images },
  };
  fs.writeFileSync(out, JSON.stringify(doc, null, 2) + '\n');
  console.log('');
  console.log(`cdk8s-steps benchmarks — ${m.date}`);
  console.log(`machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.kernel}, ${m.os}; Node ${m.node}; ${m.go}; podman ${m.podman ?? 'n/a'}; load average at start ${JSON.stringify(m.loadavgAtStart)}, at end ${JSON.stringify(m.loadavgAtEnd)}`);
  console.log(`code: ${m.gitCommit}${m.uncommittedChangesInSrcOrEntrypointOrBench ? ' + uncommitted changes in src/, entrypoint-image/ or bench/' : ''}; entrypoint ${info?.binarySource ?? '?'}; hand-off child: ${info?.child ?? '?'}`);
  console.log('');
  printTable(rows);
  console.log('');
  if (missing.length) {
    console.log(`NOT MEASURED: ${missing.join('; ')}`);
  }
  console.log(`written: ${path.relative(process.cwd(), out)}`);
  process.exitCode = missing.length ? 2 : 0;
}

main();
