"""HQ's programme configuration as documents: which entities ProgramConfigService sets (one table),
their fields from flags or TOML/YAML files (driven by the proto descriptors), and the difference
between a document and the running ConfigSnapshot. Pure: no grpc, no database."""
