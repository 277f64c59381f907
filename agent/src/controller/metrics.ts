/** Prometheus text exposition for the few metrics the agent keeps; no client library needed. */
export class Metrics {
  private readonly counters = new Map<string, number>();
  private readonly histograms = new Map<string, { buckets: number[]; counts: number[]; sum: number; count: number }>();
  private readonly gauges = new Map<string, () => number>();
  private readonly help = new Map<string, { help: string; type: string }>();

  counter(name: string, help: string): void {
    this.help.set(name, { help, type: 'counter' });
  }

  inc(name: string, labels: Record<string, string> = {}, by = 1): void {
    const key = series(name, labels);
    this.counters.set(key, (this.counters.get(key) ?? 0) + by);
  }

  gauge(name: string, help: string, read: () => number): void {
    this.help.set(name, { help, type: 'gauge' });
    this.gauges.set(name, read);
  }

  histogram(name: string, help: string): void {
    this.help.set(name, { help, type: 'histogram' });
  }

  observe(name: string, seconds: number, labels: Record<string, string> = {}): void {
    const key = series(name, labels);
    let h = this.histograms.get(key);
    if (!h) {
      const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
      h = { buckets, counts: buckets.map(() => 0), sum: 0, count: 0 };
      this.histograms.set(key, h);
    }
    h.buckets.forEach((b, i) => {
      if (seconds <= b) h!.counts[i]++;
    });
    h.sum += seconds;
    h.count++;
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, { help, type }] of this.help) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      if (type === 'gauge') lines.push(`${name} ${this.gauges.get(name)?.() ?? 0}`);
      for (const [key, value] of this.counters) if (baseName(key) === name) lines.push(`${key} ${value}`);
      for (const [key, h] of this.histograms) {
        if (baseName(key) !== name) continue;
        const labels = key.slice(name.length);
        const inner = labels ? labels.slice(1, -1) + ',' : '';
        h.buckets.forEach((b, i) => lines.push(`${name}_bucket{${inner}le="${b}"} ${h.counts[i]}`));
        lines.push(`${name}_bucket{${inner}le="+Inf"} ${h.count}`, `${name}_sum${labels} ${h.sum}`, `${name}_count${labels} ${h.count}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}

function series(name: string, labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (!entries.length) return name;
  return `${name}{${entries.map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`).join(',')}}`;
}

function baseName(key: string): string {
  const brace = key.indexOf('{');
  return brace < 0 ? key : key.slice(0, brace);
}
