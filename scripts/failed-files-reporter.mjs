// A reporter for Node's test runner that writes the path of each test file with a
// failure (a failed test, or the file itself timing out), one per line, to its
// destination. run-tests.mjs uses it to run again only those files in CI.
export default async function* failedFiles(source) {
  const seen = new Set();
  for await (const event of source) {
    const file = event.type === 'test:fail' ? event.data.file : undefined;
    if (file && !seen.has(file)) {
      seen.add(file);
      yield `${file}\n`;
    }
  }
}
