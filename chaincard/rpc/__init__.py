"""gRPC plumbing: server bootstrap, the error interceptor, client channels with deadlines."""
