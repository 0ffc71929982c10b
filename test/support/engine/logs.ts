/**
 * Log capture for the engine harness. n8n code logs through two doors: `LoggerProxy` (n8n-workflow,
 * used by the engine itself) and the DI `Logger` of @n8n/backend-common (what `this.logger` returns
 * inside a node, and what n8n-core's ErrorReporter writes node errors and their causes to). Both
 * are pointed at one capturing logger. Every line goes to each sink open at that moment, so a run
 * sees every line logged while it was running (concurrent runs see each other's lines: nothing is
 * lost, which is what a secrets scan needs).
 */
import { Logger as BackendLogger } from '@n8n/backend-common';
import { Container } from '@n8n/di';
import type { Logger } from 'n8n-workflow';
import { LoggerProxy } from 'n8n-workflow';

const sinks = new Set<string[]>();

/** JSON of log metadata that keeps what plain JSON.stringify drops: error messages, stacks, causes. */
export function metaToJson(meta: unknown): string {
	const seen = new WeakSet<object>();
	try {
		return JSON.stringify(meta, (_key, value: unknown) => {
			if (typeof value === 'bigint') return value.toString();
			if (value === null || typeof value !== 'object') return value;
			if (seen.has(value)) return '[Circular]';
			seen.add(value);
			if (value instanceof Error) {
				const { cause } = value as { cause?: unknown };
				return { ...value, name: value.name, message: value.message, stack: value.stack, cause };
			}
			return value;
		});
	} catch {
		return String(meta);
	}
}

function record(level: string, message: string, meta: unknown): void {
	if (sinks.size === 0) return;
	const hasMeta = meta !== undefined && !(typeof meta === 'object' && meta !== null && Object.keys(meta).length === 0);
	const line = `${level}: ${String(message)}${hasMeta ? ` ${metaToJson(meta)}` : ''}`;
	for (const sink of sinks) sink.push(line);
}

function capturingLogger(): Logger & { scoped: () => Logger } {
	return {
		error: (message, meta) => record('error', message, meta),
		warn: (message, meta) => record('warn', message, meta),
		info: (message, meta) => record('info', message, meta),
		debug: (message, meta) => record('debug', message, meta),
		scoped: () => capturingLogger(),
	};
}

let installed = false;

/** Points n8n's loggers at the capture. Idempotent; runs when the harness module loads. */
export function installLogCapture(): void {
	if (installed) return;
	installed = true;
	const logger = capturingLogger();
	LoggerProxy.init(logger);
	Container.set(BackendLogger, logger as unknown as BackendLogger);
}

/** Starts collecting lines into a fresh array; close it with `closeLogSink`. */
export function openLogSink(): string[] {
	const sink: string[] = [];
	sinks.add(sink);
	return sink;
}

export function closeLogSink(sink: string[]): void {
	sinks.delete(sink);
}
