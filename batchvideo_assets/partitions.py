import dagster as dg

# One partition per row of the `scripts` table; the key is the script ID as a string.
scripts_partitions = dg.DynamicPartitionsDefinition(name="scripts")
