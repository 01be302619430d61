"""Linear: the task tracker (``tracker``) on a gql client (``client``) that validates every
document against Linear's schema (``schema``, ``schema.graphql``, ``operations.graphql``), with
Linear's errors mapped to the taxonomy (``errors``) and the issue body it writes (``description``)."""
