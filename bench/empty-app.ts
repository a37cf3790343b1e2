// The baseline for the cold-start comparison: an empty cdk8s app, one empty chart, run by the same
// runner as the reference app (`npx ts-node --swc`).
import { App, Chart } from 'cdk8s';

const app = new App();
new Chart(app, 'empty');
app.synth();
