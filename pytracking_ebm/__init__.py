"""pytracking_ebm package."""
