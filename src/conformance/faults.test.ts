/**
 * The comparator against a recorded kernel run: the engine as it is agrees with what the kernel
 * did, and an engine with a deliberately broken behaviour does not, with a diff a person can read.
 * The record (testdata/two-hosts-kind.kernel.json) was made on this machine with
 * `packet-life conformance scenarios/two-hosts-kind.json --save-fixture FILE`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ScenarioData } from '../scenario/schema';
import type { KernelRun } from './compare';
import { buildPlan } from './plan';
import { compareRuns, formatReport } from './runner';

interface Fixture {
  readonly scenario: ScenarioData;
  readonly runs: readonly KernelRun[];
}

const fixture = JSON.parse(
  readFileSync(new URL('./testdata/two-hosts-kind.kernel.json', import.meta.url), 'utf8'),
) as Fixture;

const statuses = (faults?: Parameters<typeof buildPlan>[1]) =>
  compareRuns(buildPlan(fixture.scenario, faults), fixture.runs);

describe('the comparator against a recorded kernel run (two-hosts-kind)', () => {
  it('finds the engine as it is in agreement, step by step', () => {
    const report = statuses();
    const differ = report.steps.filter((s) => s.status === 'differ');
    expect(
      differ.map((s) => s.title),
      formatReport(report),
    ).toEqual([]);
    expect(report.steps.filter((s) => s.status === 'agree').length).toBeGreaterThanOrEqual(6);
  });

  it('fails a router that forgets to decrement TTL, showing both TTLs side by side', () => {
    const report = statuses({ ttlNotDecremented: true });
    const text = formatReport(report);
    const differ = report.steps.filter((s) => s.status === 'differ').map((s) => s.index + 1);
    // Steps 7 and 8 are where packets cross the nodes' routing.
    expect(differ).toEqual(expect.arrayContaining([7, 8]));
    expect(text).toMatch(/✗ DIFFER step 7/);
    expect(text).toMatch(/≠ engine: .*ttl 64, .*\n\s+kernel: .*ttl 63, /);
  });

  it('fails a host that answers ARP for an address it does not own', () => {
    const report = statuses({ arpAnswersForeign: true });
    const text = formatReport(report);
    expect(
      report.steps.some((s) => s.status === 'differ'),
      text,
    ).toBe(true);
    // The engine's extra reply is shown against what the kernel did instead.
    expect(text).toMatch(/≠ engine: .*Reply [\d.]+ is-at/);
  });
});
