/**
 * The scaling timeline of one policy as chart geometry: desired replicas as a step line (left
 * axis) and the metric (utilization %, else the metric value) as a line (right axis), over the
 * time of the recorded decisions (status.scaling[].history). Pure, so it is unit-tested; the
 * dashboard turns it into SVG.
 */
import type { ScalingStatus } from '@kplane/profile/model';

export interface ChartGeometry {
  width: number;
  height: number;
  /** SVG polyline points "x,y x,y …". */
  replicas: string;
  metric: string;
  /** Horizontal line of the target on the metric axis, when the target is a number we can place. */
  targetY?: number;
  /** Axis labels: replicas (left), metric (right), time span. */
  replicasMax: number;
  metricMax: number;
  metricLabel: string;
  from: string;
  to: string;
  /** One point per record, for hover titles. */
  points: { x: number; time: string; desired: number; current: number; metric?: number; decision?: string }[];
}

const PAD = { left: 28, right: 40, top: 8, bottom: 16 };

export function scalingChart(status: ScalingStatus, width = 360, height = 120): ChartGeometry | undefined {
  const history = (status.history ?? []).filter((r) => !Number.isNaN(Date.parse(r.time)));
  if (history.length < 2) return undefined;
  const useUtilization = history.some((r) => r.utilization !== undefined);
  const metricOf = (r: (typeof history)[number]): number | undefined => (useUtilization ? r.utilization : r.metricValue);
  const t0 = Date.parse(history[0].time);
  const t1 = Math.max(Date.parse(history[history.length - 1].time), t0 + 1);
  const targetNumber = useUtilization ? Number(/^(\d+)%/.exec(status.target ?? '')?.[1] ?? NaN) : NaN;
  const replicasMax = Math.max(1, ...history.map((r) => Math.max(r.desired, r.current)));
  const metrics = history.map(metricOf).filter((m): m is number => m !== undefined && Number.isFinite(m));
  // A metric that stayed at 0 gets a scale of 1, not a label of 1e-9 (seen on the demo's page).
  const peak = Math.max(...metrics, Number.isFinite(targetNumber) ? targetNumber : 0);
  const metricMax = niceCeil(peak > 0 ? peak : 1);
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const x = (time: string): number => round(PAD.left + ((Date.parse(time) - t0) / (t1 - t0)) * plotW);
  const yReplicas = (n: number): number => round(PAD.top + plotH - (n / replicasMax) * plotH);
  const yMetric = (m: number): number => round(PAD.top + plotH - (m / metricMax) * plotH);
  // A step line: replicas hold until the next decision.
  const steps: string[] = [];
  history.forEach((r, i) => {
    if (i > 0) steps.push(`${x(r.time)},${yReplicas(history[i - 1].desired)}`);
    steps.push(`${x(r.time)},${yReplicas(r.desired)}`);
  });
  return {
    width,
    height,
    replicas: steps.join(' '),
    metric: history
      .filter((r) => metricOf(r) !== undefined)
      .map((r) => `${x(r.time)},${yMetric(metricOf(r)!)}`)
      .join(' '),
    ...(Number.isFinite(targetNumber) ? { targetY: yMetric(targetNumber) } : {}),
    replicasMax,
    metricMax,
    metricLabel: useUtilization ? '% of requests' : 'metric',
    from: history[0].time,
    to: history[history.length - 1].time,
    points: history.map((r) => ({ x: x(r.time), time: r.time, desired: r.desired, current: r.current, metric: metricOf(r), decision: r.decision })),
  };
}

/** 1, 2, 5 × 10^n at or above v, so axis labels stay round. */
function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const round = (n: number): number => Math.round(n * 10) / 10;
