// SPDX-License-Identifier: Apache-2.0
// Validate Kubernetes objects against the API's schemas, offline, with
// kubernetes-models (every kind's class has validate()).  Reads a JSON
// array of objects on stdin; prints one line per object; exits 1 if any
// is invalid or of a kind it does not know.
import { readFileSync } from "node:fs";

const objs = JSON.parse(readFileSync(0, "utf8"));
let bad = 0;
for (const o of objs) {
	const [group, version] = o.apiVersion.includes("/")
		? o.apiVersion.split("/")
		: ["", o.apiVersion];
	const mod = group ? `kubernetes-models/${group}/${version}`
		: `kubernetes-models/${version}`;
	const what = `${o.kind} ${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;
	try {
		const cls = (await import(mod))[o.kind];
		if (!cls)
			throw new Error(`no kind ${o.kind} in ${mod}`);
		new cls(o).validate();
		console.log(`valid ${what}`);
	} catch (e) {
		bad++;
		console.log(`invalid ${what}: ${e.message}`);
	}
}
process.exit(bad ? 1 : 0);
