// Validates .glb files with the Khronos glTF validator (npm
// `gltf-validator`, found through NODE_PATH) and prints one JSON line per
// file: {file, errors, warnings, messages}. Exit status 1 when a file has
// errors or cannot be read.
//
// Run: NODE_PATH=/path/to/node_modules node tests/reference/validate_gltf.cjs A.glb B.glb …
const validator = require("gltf-validator");
const fs = require("fs");
const path = require("path");

(async () => {
  let failed = false;
  for (const file of process.argv.slice(2)) {
    try {
      // External images (shared texture files) are read beside the file.
      const externalResourceFunction = (uri) =>
        new Promise((resolve, reject) => {
          fs.readFile(path.join(path.dirname(file), decodeURIComponent(uri)), (err, data) =>
            err ? reject(err.toString()) : resolve(new Uint8Array(data)),
          );
        });
      const report = await validator.validateBytes(new Uint8Array(fs.readFileSync(file)), {
        uri: file,
        externalResourceFunction,
      });
      const errors = report.issues.numErrors;
      failed ||= errors > 0;
      const messages = report.issues.messages
        .filter((m) => m.severity === 0)
        .slice(0, 10)
        .map((m) => `${m.code} ${m.pointer || ""}: ${m.message}`);
      console.log(JSON.stringify({ file, errors, warnings: report.issues.numWarnings, messages }));
    } catch (e) {
      failed = true;
      console.log(JSON.stringify({ file, errors: -1, messages: [String(e)] }));
    }
  }
  process.exit(failed ? 1 : 0);
})();
