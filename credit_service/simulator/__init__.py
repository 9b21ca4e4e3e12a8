"""A simulated provincial credit platform (信用安徽 stand-in) for the demo and the tests."""
