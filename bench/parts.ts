/**
 * The parts bench/run.sh writes to bench/out/parts/ and report.ts reads: one declaration per part,
 * shared by its writer (synth.ts, makespan.ts) and the report. The parts of other programs are
 * declared as they write them: info.json (run.sh), proc.json (cmd/procbench, Go: the `json:` tags
 * of its structs), release-image.json (entrypoint-image/oci-layout.js describe).
 */

// ---------------------------------------------------------------- info.json (bench/run.sh)

export interface InfoPart {
  readonly child?: string;
  readonly loadavgStart?: number[];
  readonly gitCommit?: string;
  readonly gitDirty?: boolean;
  readonly binaries?: Array<{ readonly arch: string; readonly file: string }>;
  readonly entrypointBuilt?: boolean;
  readonly binarySource?: string;
  readonly cc?: string;
}

// ---------------------------------------------------------------- proc.json (cmd/procbench)

/** stats.go `stats`. */
export interface Stats {
  readonly n: number;
  readonly failed: number;
  readonly min_ms: number;
  readonly median_ms: number;
  readonly mean_ms: number;
  readonly p90_ms: number;
  readonly p99_ms: number;
  readonly max_ms: number;
}

/** handoff.go: one waiter's hand-offs (figure 1), also the end-to-end chain. */
export interface HandoffRow {
  readonly figure: string;
  readonly waiter: string;
  readonly role: string;
  readonly parallel: number;
  readonly stats: Stats;
  readonly errors?: string[];
}

/** idle.go: one waiting process (figure 2). */
export interface IdleRow {
  readonly waiter: string;
  readonly role: string;
  readonly window_s: number;
  readonly cpu_ms: number;
  readonly voluntary_ctxt_switches: number;
  readonly nonvoluntary_ctxt_switches: number;
  readonly wakeups_per_s: number;
  readonly rss_kib: number;
  readonly hwm_kib: number;
  readonly threads: number;
  readonly waited?: string;
  readonly error?: string;
}

/** dead.go: a dependency killed without a record (figure 3). */
export interface DeadRow {
  readonly waiter: string;
  readonly role: string;
  readonly variant: string;
  readonly observe_s: number;
  readonly stats: Stats;
  readonly done_err_stats: Stats;
  readonly killed_wrapper_reaped_stats: Stats;
  readonly not_detected: number;
  readonly reasons: Record<string, number>;
  readonly exit_codes: Record<string, number>;
  readonly lock_fd_inherited_by_child: number;
  readonly errors?: string[];
}

/** pod.go: a pod of N waiting steps (figure 8). */
export interface PodRow {
  readonly steps: number;
  readonly mode: string;
  readonly uid: number;
  readonly inotify_max_user_instances: number;
  readonly inotify_instances_taken_first: number;
  readonly startup_s: number;
  readonly peak_threads: number;
  readonly peak_threads_run: number;
  readonly max_threads_one_waiter: number;
  readonly threads_per_waiter?: Record<string, number>;
  readonly waiting_rss_kib_sum: number;
  readonly waiting_pss_kib_sum: number;
  readonly run_s: number;
  readonly run_per_edge_ms: number;
  readonly outcomes?: Record<string, number>;
  readonly waited?: Record<string, number>;
  readonly errors?: string[];
}

export interface ProcPart {
  readonly handoff?: HandoffRow[];
  readonly chain?: HandoffRow[];
  readonly idle?: IdleRow[];
  readonly dead?: DeadRow[];
  readonly pod?: { readonly uid: number; readonly rows: PodRow[] };
}

// ---------------------------------------------------------------- synth.json (synth.ts)

/** One kind of object timed over repetitions. */
export interface SynthCell {
  readonly median_ms: number;
  readonly min_ms: number;
  /** Median of the process's CPU time (user + system, all threads) per repetition; absent in older records. */
  readonly cpu_median_ms?: number;
  readonly reps: number;
  readonly yaml_bytes: number;
}

/** Figure 5, one graph size. */
export interface SynthRow {
  readonly steps: number;
  readonly edges: number;
  readonly stepPod: SynthCell;
  readonly plainPod: SynthCell;
  readonly ratio: number;
  readonly ratio_of_minimums: number;
  /** stepPod's CPU-time median / plainPod's; absent in older records. */
  readonly cpu_ratio?: number;
  readonly withoutYaml: { readonly stepPod: SynthCell; readonly plainPod: SynthCell; readonly ratio: number };
  /** The StepPod's finished manifest written by cdk8s alone (a plain ApiObject, the same YAML); absent in older records. */
  readonly cdk8sFloor?: SynthCell;
  /** cdk8sFloor's median / plainPod's median. */
  readonly floor_ratio?: number;
  /** The StepPod's finished PodSpec written by cdk8s-plus (bench/floors.ts, the same YAML); absent in older records. */
  readonly kplusFloor?: SynthCell;
  /** kplusFloor's median / plainPod's median. */
  readonly kplus_floor_ratio?: number;
  readonly peakRequests_ms: number;
  readonly stepPod_json_bytes: number;
  /** `within`, or the message of the limit the pod breaks */
  readonly kubernetes_limits: string;
  readonly timed_with_limit_check: boolean;
}

export interface SynthGrowth {
  readonly from: number;
  readonly to: number;
  readonly size_ratio: number;
  readonly stepPod_time_ratio: number;
  readonly stepPod_exponent: number;
  readonly plainPod_time_ratio: number;
  readonly plainPod_exponent: number;
}

/** cpu in cores, memory in bytes. */
export interface Requests {
  readonly cpu: number;
  readonly memory: number;
}

/** Figure 6, one graph: what the pod reserves under PEAK and SUM, or why it could not be measured. */
export type ResourceRow = MeasuredResources | { readonly graph: string; readonly error: string };

export interface MeasuredResources {
  readonly graph: string;
  readonly steps: number;
  readonly peak: Requests;
  readonly sum: Requests;
  readonly graphPeakRequests?: Record<string, string>;
  /** the cross-check of the method used for the examples (generated shapes only) */
  readonly sumByDeclaredRequestsAgrees?: boolean;
  readonly ratio_cpu: number | null;
  readonly ratio_memory: number | null;
  readonly measured: string;
}

export interface SynthPart {
  readonly node: string;
  readonly gcExposed: boolean;
  /** Where and when it ran (figure 5 alone is recorded in bench/synth-results.json); absent in older parts. */
  readonly machine?: {
    readonly date: string;
    readonly cores: number;
    readonly cpuModel?: string;
    readonly loadavgAtStart: number[];
    readonly loadavgAtEnd: number[];
    readonly gitCommit?: string;
    readonly uncommittedChangesInSrcOrBench: boolean;
    readonly quick: boolean;
  };
  synth?: { readonly dag: string; readonly rows: SynthRow[]; readonly growth: SynthGrowth[] };
  resources?: { readonly how: string; readonly rows: ResourceRow[] };
}

// ---------------------------------------------------------------- makespan.json (makespan.ts)

export interface StepDef {
  readonly name: string;
  readonly ms: number;
  readonly deps: string[];
}

/** One run of a variant. */
export interface RunFigures {
  readonly makespan_ms: number;
  readonly wall_ms: number;
  readonly measured_critical_path_ms: number;
  /** dependent start - its last dependency's end, for every step with dependencies */
  readonly binding_handoffs_ms: number[];
  readonly step_ms: Record<string, number>;
}

/** A variant summarised over its runs (medians). */
export interface VariantRow {
  readonly key: string;
  readonly label: string;
  readonly steps: number;
  readonly reps: number;
  readonly errors: string[];
  readonly nominal_critical_path_ms: number;
  readonly critical_path: string[];
  readonly edges_on_critical_path: number;
  readonly runs: Array<Omit<RunFigures, 'binding_handoffs_ms'> & { readonly binding_handoffs_ms?: number[] }>;
  readonly makespan_ms?: number;
  readonly wall_ms?: number;
  readonly overhead_ms?: number;
  readonly overhead_per_edge_ms?: number;
  readonly overhead_vs_measured_path_per_edge_ms?: number;
  readonly binding_handoff_ms?: { readonly median: number; readonly p90: number; readonly max: number; readonly n: number };
}

export interface MakespanPart {
  podman?: { readonly available: boolean; readonly version?: string; readonly reason?: string };
  error?: string;
  images?: { readonly step: string; readonly entrypoint: string; readonly built: string[] };
  entrypointImageBytes?: number;
  workload?: StepDef[];
  variants?: VariantRow[];
}

/** A variant with at least one run: its medians are there. */
export type MeasuredVariant = VariantRow & Required<Pick<VariantRow, 'makespan_ms' | 'wall_ms' | 'overhead_ms'
  | 'overhead_per_edge_ms' | 'overhead_vs_measured_path_per_edge_ms' | 'binding_handoff_ms'>>;

export function isMeasured(v: VariantRow): v is MeasuredVariant {
  return v.reps > 0 && v.makespan_ms !== undefined && v.binding_handoff_ms !== undefined;
}

// ---------------------------------------------------------------- release-image.json (oci-layout.js describe)

export interface ReleaseImagePart {
  readonly digest: string;
  readonly platforms?: Array<{
    readonly platform: string;
    readonly digest: string;
    readonly download: number;
    readonly unpacked: number;
    readonly binary: number;
  }>;
}
