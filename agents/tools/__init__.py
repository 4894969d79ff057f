"""Tool implementations (``builtin``) and the executor that runs any catalog binding."""
