"""SQL migrations, applied in file-name order by mechanic_kernel.store.schema."""
