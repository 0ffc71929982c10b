import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HandedOut {
	callbackId: string;
	executionArn: string;
	orderId: string;
}

/** Plays the human's inbox on loopback: the durable fixture POSTs its callback ID here. */
export class Approver {
	readonly received: HandedOut[] = [];
	private waiting: Array<() => void> = [];
	private server!: Server;
	url = '';

	async start(): Promise<void> {
		this.server = createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (chunk: Buffer) => chunks.push(chunk));
			req.on('end', () => {
				this.received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
				res.end('ok');
				for (const wake of this.waiting.splice(0)) wake();
			});
		});
		await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
		this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/approve`;
	}

	async callbackFor(executionArn: string): Promise<string> {
		for (;;) {
			const found = this.received.find((entry) => entry.executionArn === executionArn);
			if (found) return found.callbackId;
			await new Promise<void>((resolve) => this.waiting.push(resolve));
		}
	}

	async stop(): Promise<void> {
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}
}
