"""A small 10DLC workflow written as users write one: Lambda-style handlers with
module-level boto3 clients, state in DynamoDB, and an event router reacting to the
"Registration Status Change" events AWS sends to EventBridge. It knows nothing of
lifecycle: tests/test_workflow_package.py runs it under moto and lifecycle.aws.mock."""
