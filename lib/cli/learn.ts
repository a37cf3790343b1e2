// `zero-trust learn --prometheus <file>`: observed traffic against the declared policy.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { learnFromTraffic, renderLearn } from '../analyzer/learn';
import { mergeFlows, parsePrometheusAnswer } from '../analyzer/prometheus';
import { CliError } from './errors';
import { analysisOf, InputOptions, loadConfig, Note } from './inputs';

export interface CommandContext {
  readonly io: { readonly stdout: (text: string) => void };
  /** Adds the options every command shares (--dir, --app, --inventory...). */
  readonly inputs: (cmd: Command) => Command;
  readonly note: (options: any) => Note;
}

export function registerLearn(program: Command, { io, inputs, note }: CommandContext): void {
  inputs(program.command('learn')
    .description('observed traffic (a Prometheus answer) against the declared policy: what enforcing it would break, plaintext clients, unused edges, and allowFrom lines for the missing ones')
    .requiredOption('--prometheus <file>', 'JSON answer of a Prometheus instant query over istio_requests_total or istio_tcp_connections_opened_total (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text')))
    .action((options: InputOptions & { quiet?: boolean; prometheus: string[]; format: string }) => {
      const flows = mergeFlows(options.prometheus.map((file) => {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch {
          throw new CliError(`Prometheus answer ${file} does not exist`);
        }
        return parsePrometheusAnswer(text, file);
      }));
      if (flows.length === 0) note(options)('the Prometheus answer holds no traffic between mesh workloads');
      const analysis = analysisOf(loadConfig(options.dir, note(options)), options, note(options));
      const report = learnFromTraffic(analysis, flows);
      io.stdout(options.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderLearn(report, `zero-trust learn ${options.prometheus.join(', ')} against ${options.app ?? options.dir}`));
    });
}
