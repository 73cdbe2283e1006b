// Entry point for the CDK CLI (cdk.json); the app itself is built in create-app.ts.
import {createApp} from './create-app.js'

createApp({})
