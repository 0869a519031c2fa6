"""From rule results to a diagnosis: the engine runs the rules, the policy judges findings against
runs, modes and versions, ranking puts causes before the symptoms they explain, the fallbacks
name a cause for every error no rule explains, and the verdict sums it up.
"""
