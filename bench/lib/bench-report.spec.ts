import { mergeSection, renderReport } from './bench-report';

describe('bench report', () => {
  const report = { name: 'push', title: 'Push', command: 'npm run bench:push', columns: ['a', 'b'], rows: [[1, 'x']] };

  it('renders the command, the machine and a markdown table', () => {
    const text = renderReport(report, new Date('2026-12-03T00:00:00Z'), '2 × cpu');
    expect(text).toContain('npm run bench:push');
    expect(text).toContain('2026-12-03T00:00:00.000Z on 2 × cpu');
    expect(text).toContain('| a | b |\n| --- | --- |\n| 1 | x |');
  });

  it('replaces only its own section and appends a new one', () => {
    const first = mergeSection('# R\n', 'push', 'old push');
    const both = mergeSection(first, 'webhook', 'webhook figures');
    const replaced = mergeSection(both, 'push', 'new push');
    expect(replaced).toContain('new push');
    expect(replaced).not.toContain('old push');
    expect(replaced).toContain('webhook figures');
    expect(replaced.indexOf('new push')).toBeLessThan(replaced.indexOf('webhook figures'));
  });
});
