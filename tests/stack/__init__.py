"""Stack tier: several versions of an app synthesized and played as CloudFormation plays stack updates,
cleanups, rollbacks and deletes (``comprehend_loopback.stack``), with IAM enforced from each version's
policy; and the rehearsal CLI."""
