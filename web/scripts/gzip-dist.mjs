// After `vite build`: writes <file>.gz (gzip level 9) next to every compressible file in dist/
// larger than 1 KiB when it saves at least 10 %; `kaiwu serve` sends it to clients that accept
// gzip (src/http/static_files.cpp). Node's zlib only, no dependency.
import { readdirSync, readFileSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { join, extname, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants } from 'node:zlib';

const dist = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'dist'));
const TYPES = new Set(['.js', '.mjs', '.css', '.html', '.svg', '.json', '.map', '.txt', '.wasm', '.ttf']);
let files = 0, before = 0, after = 0;

function filesIn(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesIn(path) : [path];
  });
}

function walk(dir) {
  const all = filesIn(dir);
  for (const path of all) if (path.endsWith('.gz')) rmSync(path); // from an older build: rewritten below
  for (const path of all) {
    if (path.endsWith('.gz') || !TYPES.has(extname(path))) continue;
    const raw = readFileSync(path);
    if (raw.length < 1024) continue;
    const gz = gzipSync(raw, { level: constants.Z_BEST_COMPRESSION });
    if (gz.length > raw.length * 0.9) continue;
    writeFileSync(`${path}.gz`, gz);
    files++; before += raw.length; after += gz.length;
  }
}

walk(dist);
console.log(`gzip: ${files} files, ${(before / 1024).toFixed(0)} KiB → ${(after / 1024).toFixed(0)} KiB`);
