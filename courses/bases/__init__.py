"""Site plus base (站点+基地): learning sites with notices and collective study, bases with sessions and check-in."""
