// Writes the CRDs generated from the TypeBox types into deploy/kubernetes/crds/.
//   npm run generate:crds -w @flotilla/operator
import { writeFile } from 'node:fs/promises';
import { crdFiles } from '../src/microservice/crd-files.ts';

for (const file of crdFiles()) {
  await writeFile(file.path, file.content);
  process.stdout.write(`wrote ${file.path}\n`);
}
