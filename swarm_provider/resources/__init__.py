"""The resource classes users write against, and what the program does before registering them."""
