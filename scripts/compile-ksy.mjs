// Compiles every Kaitai Struct spec in dissectors/ to a JavaScript parser in generated/.
// The compiler's npm build offers only a programmatic API (no CLI), hence this script.
import compiler from 'kaitai-struct-compiler';
import YAML from 'yaml';
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'dissectors');
const outDir = join(root, 'generated');
mkdirSync(outDir, { recursive: true });

for (const file of readdirSync(srcDir).filter((f) => f.endsWith('.ksy'))) {
  const spec = YAML.parse(readFileSync(join(srcDir, file), 'utf8'));
  let files;
  try {
    files = await compiler.compile('javascript', spec, null, false);
  } catch (err) {
    console.error(`dissectors/${file}: ${err?.message ?? err}`);
    process.exit(1);
  }
  for (const [name, code] of Object.entries(files)) {
    // Generated code is UMD/CommonJS; .cjs keeps it loadable from this ESM package.
    writeFileSync(join(outDir, name.replace(/\.js$/, '.cjs')), code);
  }
}
