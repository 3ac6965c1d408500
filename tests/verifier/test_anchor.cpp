// Tests for issue 23 (first use); cases are added by the change that needs them.
