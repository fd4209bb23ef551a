import { z } from 'zod';

/** AWS's own wording for a field that breaks its model's constraint. */
const pattern = (regex: RegExp) => z.string().regex(regex, `Member must satisfy regular expression pattern: ${regex.source}`);
const name = z
  .string()
  .min(3, 'Member must have length greater than or equal to 3')
  .max(64, 'Member must have length less than or equal to 64')
  .pipe(pattern(/^[a-z0-9-]+$/));
const tags = z.array(z.object({ key: z.string().min(1).max(128), value: z.string().max(256) })).max(200);
const paging = { maxResults: z.number().int().min(1).max(100).optional(), nextToken: z.string().optional() };

/** Each operation's input, as the service's model constrains it (the rules that need state are the handlers'). */
export const schemas = {
  CreateNamespace: z.object({
    namespaceName: name,
    adminUsername: z.string().min(1).max(128).optional(),
    adminUserPassword: z.string().min(8).max(64).optional(),
    manageAdminPassword: z.boolean().optional(),
    dbName: z.string().min(1).max(127).optional(),
    iamRoles: z.array(z.string()).optional(),
    defaultIamRoleArn: z.string().optional(),
    kmsKeyId: z.string().optional(),
    logExports: z.array(z.string()).optional(),
    tags: tags.optional(),
  }),
  GetNamespace: z.object({ namespaceName: name }),
  ListNamespaces: z.object(paging),
  DeleteNamespace: z.object({
    namespaceName: name,
    finalSnapshotName: z.string().optional(),
    finalSnapshotRetentionPeriod: z.number().optional(),
  }),
  CreateWorkgroup: z.object({
    workgroupName: name,
    namespaceName: name,
    baseCapacity: z.number().int().optional(),
    maxCapacity: z.number().int().optional(),
    publiclyAccessible: z.boolean().optional(),
    enhancedVpcRouting: z.boolean().optional(),
    port: z.number().int().min(5431).max(5455).or(z.number().int().min(8191).max(8215)).optional(),
    subnetIds: z.array(z.string()).optional(),
    securityGroupIds: z.array(z.string()).optional(),
    configParameters: z.array(z.object({ parameterKey: z.string(), parameterValue: z.string() })).optional(),
    tags: tags.optional(),
  }),
  GetWorkgroup: z.object({ workgroupName: name }),
  ListWorkgroups: z.object({ ...paging, ownerAccount: z.string().optional() }),
  UpdateWorkgroup: z.object({
    workgroupName: name,
    baseCapacity: z.number().int().optional(),
    maxCapacity: z.number().int().optional(),
    publiclyAccessible: z.boolean().optional(),
  }),
  DeleteWorkgroup: z.object({ workgroupName: name }),
  GetCredentials: z.object({
    workgroupName: name.optional(),
    customDomainName: z.string().min(1).max(253).optional(),
    dbName: z.string().min(1).max(64).optional(),
    durationSeconds: z
      .number()
      .int()
      .min(900, 'Member must have value greater than or equal to 900')
      .max(3600, 'Member must have value less than or equal to 3600')
      .optional(),
  }),
  ListTagsForResource: z.object({ resourceArn: z.string().min(1) }),
  TagResource: z.object({ resourceArn: z.string().min(1), tags }),
  UntagResource: z.object({ resourceArn: z.string().min(1), tagKeys: z.array(z.string()) }),
};

export type Schemas = typeof schemas;
export type Input<Op extends keyof Schemas> = z.infer<Schemas[Op]>;
