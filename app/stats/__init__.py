"""Survey statistics: post-stratified weights, domain estimates and disclosure control."""
