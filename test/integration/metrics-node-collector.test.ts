// The built-in node collector against /proc read here and against Debian's node_exporter 1.5 on the same
// machine: the names both export have the same label sets, counters lie between two node_exporter reads taken
// before and after ours, and the gauges that cannot move between reads are equal.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeCollector } from '../../collectors/metrics/node/node-collector.ts';
import type { FamilyMeta, Sample } from '../../collectors/metrics/types.ts';
import { startNodeExporter, type NodeExporter } from '../env/index.ts';
import { httpGet } from '../env/http.ts';

interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Reads node_exporter's text output (its label values here have no escapes beyond \\ and \"). */
function parseText(body: string): { series: Series[]; types: Map<string, string> } {
  const series: Series[] = [];
  const types = new Map<string, string>();
  for (const line of body.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unreadable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, '$1');
    series.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { series, types };
}

const id = (s: { name: string; labels: Record<string, string> }) =>
  `${s.name}${JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;

async function collectOurs(collector: NodeCollector): Promise<{ series: Series[]; families: Map<string, FamilyMeta> }> {
  const series: Series[] = [];
  const families = new Map<string, FamilyMeta>();
  const result = await collector.collect({
    sample(s: Sample, f: FamilyMeta) {
      series.push(s);
      families.set(f.name, f);
    },
  });
  expect(result.failed).toEqual([]);
  return { series, families };
}

describe('built-in node collector', () => {
  let exporter: NodeExporter;
  const collector = new NodeCollector();

  beforeAll(async () => {
    exporter = await startNodeExporter();
  });
  afterAll(async () => {
    await exporter?.stop();
  });

  async function scrapeExporter() {
    const { status, body } = await httpGet(exporter.metricsUrl, { timeoutMs: 10_000 });
    expect(status).toBe(200);
    return parseText(body);
  }

  it('matches /proc read here: CPUs, MemTotal, load average fields, cgroup version', async () => {
    const { series } = await collectOurs(collector);
    const stat = await readFile('/proc/stat', 'utf8');
    const cpus = stat.split('\n').filter((l) => /^cpu\d+ /.test(l)).length;
    const cpuSeries = series.filter((s) => s.name === 'node_cpu_seconds_total');
    expect(new Set(cpuSeries.map((s) => s.labels.cpu)).size).toBe(cpus);
    expect(cpuSeries).toHaveLength(cpus * 8);
    const memTotalKb = Number(/MemTotal:\s+(\d+) kB/.exec(await readFile('/proc/meminfo', 'utf8'))![1]);
    expect(series.find((s) => s.name === 'node_memory_MemTotal_bytes')?.value).toBe(memTotalKb * 1024);
    const btime = Number(/^btime (\d+)/m.exec(stat)![1]);
    expect(series.find((s) => s.name === 'node_boot_time_seconds')?.value).toBe(btime);
    const version = series.find((s) => s.name === 'node_cgroup_version')?.value;
    const unified = (await readFile('/proc/self/mounts', 'utf8'))
      .split('\n')
      .some((l) => l.split(' ')[1] === '/sys/fs/cgroup' && l.split(' ')[2] === 'cgroup2');
    expect(version).toBe(unified ? 2 : 1);
  });

  it("exports node_exporter's names with the same label sets, types and values", async () => {
    const before = await scrapeExporter();
    const ours = await collectOurs(collector);
    const after = await scrapeExporter();

    const theirNames = new Set(before.series.map((s) => s.name));
    const shared = [...new Set(ours.series.map((s) => s.name))].filter(
      (n) => theirNames.has(n) && !n.startsWith('node_scrape_'),
    );
    const required = [
      'node_cpu_seconds_total',
      'node_memory_MemAvailable_bytes',
      'node_load1',
      'node_filesystem_avail_bytes',
      'node_disk_read_bytes_total',
      'node_network_receive_bytes_total',
      'node_pressure_cpu_waiting_seconds_total',
      'node_forks_total',
    ];
    expect(required.filter((n) => !shared.includes(n))).toEqual([]);
    expect(shared.length).toBeGreaterThan(80);

    for (const name of shared) {
      const mine = ours.series
        .filter((s) => s.name === name)
        .map(id)
        .sort();
      const theirs = before.series
        .filter((s) => s.name === name)
        .map(id)
        .sort();
      expect(mine, `label sets of ${name}`).toEqual(theirs);
      expect(ours.families.get(name)?.type, `type of ${name}`).toBe(before.types.get(name));
    }

    const first = new Map(before.series.map((s) => [id(s), s.value]));
    const last = new Map(after.series.map((s) => [id(s), s.value]));
    const stable = new RegExp(
      '^node_(memory_(MemTotal|SwapTotal|HugePages_Total|Hugepagesize)_bytes|memory_HugePages_Total' +
        '|boot_time_seconds|filesystem_(size_bytes|files|readonly|device_error))$',
    );
    const outside: string[] = [];
    for (const s of ours.series.filter((x) => shared.includes(x.name))) {
      const a = first.get(id(s))!;
      const b = last.get(id(s))!;
      if (before.types.get(s.name) === 'counter') {
        // Counters only grow: ours was read between the two node_exporter reads. 1e-9 absorbs float division.
        if (s.value < a - 1e-9 || s.value > b + 1e-9) outside.push(`${id(s)}: ${a} <= ${s.value} <= ${b}`);
      } else if (stable.test(s.name) && s.value !== a) {
        outside.push(`${id(s)}: ${s.value} != ${a}`);
      }
    }
    expect(outside).toEqual([]);
  });
});
