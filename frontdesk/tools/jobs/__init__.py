"""The job system (`queue.JobQueue`), the scheduler (`schedule`) and what runs on them."""
