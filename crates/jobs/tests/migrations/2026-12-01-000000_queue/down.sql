DROP TABLE hook_calls; DROP TABLE test_jobs;
