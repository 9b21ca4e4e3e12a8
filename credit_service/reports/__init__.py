"""Credit reports (知识产权信用报告, D21): signed statements of an entity's credit standing,
issued to the entity itself or to a checker for a purpose, verifiable by anyone."""
