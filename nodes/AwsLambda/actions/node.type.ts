/** Every resource of the node with its operations: the router's map must cover exactly these. */
export type AwsLambdaType = {
	function: 'invoke' | 'listFunctions';
	durableExecution: 'get' | 'list' | 'getHistory' | 'stop' | 'sendCallbackSuccess' | 'sendCallbackFailure' | 'sendCallbackHeartbeat';
};
