"""DynamoDB access. Nothing outside this package talks to DynamoDB."""
