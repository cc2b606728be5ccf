"""Blue/green cutovers on ECS-native deployments: the plan, smoke tests, the analysis and the lifecycle hook."""
