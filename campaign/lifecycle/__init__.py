"""What happens to a letter after it is published: it takes signatures until it closes, passes
goals, is delivered to its addressees and answered. Its timeline tells the public each step."""
