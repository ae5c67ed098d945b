// Type-checks rendered dashboard JSON files against Grafana's Dashboard type
// (@grafana/schema, via dashboard_types.ts) with the TypeScript compiler.
//
//   node check_schema.mjs DASHBOARD.json...
//
// @grafana/schema ships TypeScript types only (no JSON schema), so each dashboard becomes
// `export const dashboard: AbhraDashboard = <its JSON>;` in a generated .ts file and tsc
// checks it (object literals get excess-property checks: unknown keys are errors).
// Then the same is done for deliberately broken copies of the first dashboard: each must
// fail, or the check itself is broken. Exit 0 = all good, 1 = a dashboard does not match
// (errors printed per file), 2 = usage or setup error.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node check_schema.mjs DASHBOARD.json...');
  process.exit(2);
}
const tsc = join(here, 'node_modules', 'typescript', 'bin', 'tsc');
// Inside this directory so that the generated files resolve node_modules; one per run so
// concurrent runs (several build trees) do not collide.
const gen = mkdtempSync(join(here, '.gen-'));
process.on('exit', () => rmSync(gen, { recursive: true, force: true }));

function writeCase(name, model) {
  const src =
    `import type { AbhraDashboard } from '../dashboard_types';\n` +
    `export const dashboard: AbhraDashboard = ${JSON.stringify(model, null, 2)};\n`;
  writeFileSync(join(gen, `${name}.ts`), src);
  return `${name}.ts`;
}

function runTsc(tsFiles) {
  const tsconfig = {
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: 'ES2022',
      module: 'ESNext',
      moduleResolution: 'bundler',
      skipLibCheck: true,
      types: [],
    },
    files: tsFiles,
  };
  writeFileSync(join(gen, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  try {
    execFileSync(process.execPath, [tsc, '-p', join(gen, 'tsconfig.json'), '--pretty', 'false'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Map();
  } catch (e) {
    if (typeof e.status !== 'number') throw e;
    const byFile = new Map();
    for (const line of `${e.stdout}${e.stderr}`.split('\n')) {
      const m = line.match(/^(?:.*[\\/])?([^\\/()]+\.ts)\((\d+),(\d+)\): (.*)$/);
      if (m) {
        if (!byFile.has(m[1])) byFile.set(m[1], []);
        byFile.get(m[1]).push(`line ${m[2]}: ${m[4]}`);
      } else if (line.trim() && byFile.size === 0) {
        byFile.set('(tsc)', [...(byFile.get('(tsc)') ?? []), line]);
      }
    }
    if (byFile.size === 0) byFile.set('(tsc)', [`tsc exited ${e.status} without diagnostics`]);
    return byFile;
  }
}

// 1. The real dashboards.
const cases = files.map((f, i) => {
  const model = JSON.parse(readFileSync(f, 'utf8'));
  return { file: f, ts: writeCase(`d${i}_${basename(f, '.json').replace(/[^A-Za-z0-9_]/g, '_')}`, model), model };
});
// 2. Broken copies that must be rejected.
const base = cases[0].model;
const clone = () => JSON.parse(JSON.stringify(base));
const firstQueryPanel = (d) => d.panels.find((p) => p.type !== 'row' && p.type !== 'text');
const mutations = {
  unknown_top_level_key: (d) => { d.titel = 'typo'; },
  grid_pos_not_a_number: (d) => { firstQueryPanel(d).gridPos.w = '12'; },
  unknown_panel_type: (d) => { firstQueryPanel(d).type = 'graph-old'; },
  bad_thresholds_mode: (d) => { firstQueryPanel(d).fieldConfig.defaults.thresholds = { mode: 'absolut', steps: [] }; },
  option_typo: (d) => { firstQueryPanel(d).options.legendd = {}; },
  target_without_expr: (d) => { delete firstQueryPanel(d).targets[0].expr; },
  schema_version_string: (d) => { d.schemaVersion = '39'; },
};
const negatives = Object.entries(mutations).map(([name, mutate]) => {
  const d = clone();
  mutate(d);
  return { name, ts: writeCase(`neg_${name}`, d) };
});

const errors = runTsc([...cases.map((c) => c.ts), ...negatives.map((n) => n.ts)]);
let failed = false;
if (errors.has('(tsc)')) {
  console.error(`FAIL: tsc did not run: ${errors.get('(tsc)').join('\n')}`);
  process.exit(2);
}
for (const c of cases) {
  const errs = errors.get(c.ts);
  if (errs) {
    failed = true;
    console.log(`FAIL: ${c.file} does not match Grafana's Dashboard type (${c.model.uid}):`);
    for (const e of errs) console.log(`  ${e}`);
  } else {
    console.log(`ok: ${basename(c.file)} matches @grafana/schema Dashboard`);
  }
}
for (const n of negatives) {
  if (!errors.has(n.ts)) {
    failed = true;
    console.log(`FAIL: the broken copy "${n.name}" was accepted: the schema check is not effective`);
  } else {
    console.log(`ok: broken copy "${n.name}" rejected (${errors.get(n.ts)[0].slice(0, 100)})`);
  }
}
process.exit(failed ? 1 : 0);
