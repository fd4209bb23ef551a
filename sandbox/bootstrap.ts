import { EC2Client, DescribeKeyPairsCommand, ImportKeyPairCommand } from '@aws-sdk/client-ec2';
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { SANDBOX_KEY_PAIR, sandboxClientConfig, type SandboxAccess } from './client/constants.js';

const trust = (service: string) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });

/**
 * What a real account already has before Tributary runs: EMR's default roles
 * (as `aws emr create-default-roles` makes them), the Redshift role for COPY
 * and UNLOAD, and an EC2 key pair whose private key opens the sandbox master.
 */
export async function bootstrapAccount(access: SandboxAccess, publicKey: string): Promise<void> {
  const iam = new IAMClient(sandboxClientConfig(access));
  const ec2 = new EC2Client(sandboxClientConfig(access));
  try {
    const roles: [string, string][] = [
      ['EMR_DefaultRole', 'elasticmapreduce.amazonaws.com'],
      ['EMR_EC2_DefaultRole', 'ec2.amazonaws.com'],
      ['EMR_AutoScaling_DefaultRole', 'application-autoscaling.amazonaws.com'],
      ['TributaryRedshiftS3Role', 'redshift.amazonaws.com'],
    ];
    for (const [name, service] of roles) {
      const exists = await iam.send(new GetRoleCommand({ RoleName: name })).then(
        () => true,
        () => false,
      );
      if (!exists) await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust(service) }));
    }
    const profile = await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'EMR_EC2_DefaultRole' })).then(
      () => true,
      () => false,
    );
    if (profile)
      await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'EMR_EC2_DefaultRole', RoleName: 'EMR_EC2_DefaultRole' }));
    const keys = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [SANDBOX_KEY_PAIR] })).catch(() => undefined);
    if (!keys?.KeyPairs?.length)
      await ec2.send(new ImportKeyPairCommand({ KeyName: SANDBOX_KEY_PAIR, PublicKeyMaterial: Buffer.from(publicKey) }));
  } finally {
    iam.destroy();
    ec2.destroy();
  }
}
