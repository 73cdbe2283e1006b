import {type CfnElement, Stack, Validations} from 'aws-cdk-lib'
import type {IConstruct} from 'constructs'

/** How a cdk-nag finding names an L2 construct's ARN: `<LogicalId.Arn>`. */
export const arnInFinding = (construct: IConstruct): string =>
  `<${Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement)}.Arn>`

/** Acknowledge one AwsSolutions finding (`S1`, `IAM5[Resource::*]`…) on `construct` and below, with the reason. */
export function acknowledge(construct: IConstruct, finding: string, reason: string): void {
  Validations.of(construct).acknowledge({id: `AwsSolutions::AwsSolutions-${finding}`, reason})
}
