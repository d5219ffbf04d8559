import { App } from "aws-cdk-lib";
import { ParleyStack } from "../lib/parley-stack.js";

/**
 * The CDK app: `npm run synth` writes the CloudFormation template to cdk.out without AWS access;
 * `npm run deploy:aws` deploys it (README, "Deploying to AWS"). Context: `publicUrl` (a custom
 * domain), `retainData` ("false" deletes the table with the stack), `stackName`.
 */
// Under the CDK CLI, CDK_OUTDIR says where to write; `npm run synth` writes to cdk.out.
const app = new App({ outdir: process.env.CDK_OUTDIR ?? "cdk.out" });
const context = (key: string) => app.node.tryGetContext(key) as string | undefined;
new ParleyStack(app, context("stackName") ?? "Parley", {
	publicUrl: context("publicUrl"),
	retainData: context("retainData") !== "false",
	env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
app.synth();
